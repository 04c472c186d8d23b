"""Shared test helpers: a real uvicorn server, real WebSocket clients, one timeout unit."""
