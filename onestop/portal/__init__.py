"""The public portal's shell: home page, language switch, health check, shared page context."""
