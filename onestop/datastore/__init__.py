"""Personal electronic data warehouse: the citizen's stored documents, their blobs and upload checks."""
