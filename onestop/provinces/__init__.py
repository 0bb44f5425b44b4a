"""A province as data: the province itself, its agencies and its calendar, loaded from a pack."""
