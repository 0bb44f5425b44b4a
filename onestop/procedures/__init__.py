"""The catalogue of procedures and, later, the application (hồ sơ) workflow."""
