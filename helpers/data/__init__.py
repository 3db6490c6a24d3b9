"""Data: images of any mode as RGB tensors, the Food-11 and ImageFolder layouts behind one split
interface (``helpers.data.layout.open_split`` / ``load_splits``), file counts, and the embedded demo dataset."""
