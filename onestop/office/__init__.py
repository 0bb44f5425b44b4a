"""The electronic one-stop back office: queues, the file of an application, and the officers' actions."""
