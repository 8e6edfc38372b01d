"""Entry point for uvicorn: `uvicorn app.asgi:app` (REST + Socket.IO on one port)."""

from app.main import create_app
from app.realtime.asgi import with_socketio

app = with_socketio(create_app())
