"""The coordinators' board: server-rendered pages at /board (see routes.py)."""

from services.handover.board.routes import router

__all__ = ["router"]
