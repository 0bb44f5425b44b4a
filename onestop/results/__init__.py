"""Signed results and sealed slips: what an agency issues, signed remotely, verifiable by anyone."""
