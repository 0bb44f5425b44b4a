"""Outgoing messages: a transactional outbox delivered by Celery tasks."""
