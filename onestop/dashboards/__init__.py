"""The national service index (Decision 766/QĐ-TTg) and the operational figures, per agency and province.

`models.py` holds one fact row per application and one pre-aggregated row per agency and day;
`aggregate.py` fills them (nightly, on demand for today, or rebuilt from scratch); `index.py` turns summed
days into the index; `drill.py` lists the files behind a figure; `access.py` says who may see what.
"""
