"""Help that finds the right page: one search over procedure guidance and frequent questions, the
"which procedure do I need?" guide, and the record of what people asked and whether it helped."""
