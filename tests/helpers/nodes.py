"""Real ``python app.py`` processes on free loopback ports, always stopped after the test.
The code lives in client/local.py (product code may use it; it must not import ``tests``)."""
from client.local import ROOT, NodeProcess, free_port, thread_sessions

__all__ = ["ROOT", "NodeProcess", "free_port", "thread_sessions"]
