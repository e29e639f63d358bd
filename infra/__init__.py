"""Resource code of the ivs-viewer-count stack, one module per part of the architecture."""
