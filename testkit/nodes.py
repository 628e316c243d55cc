"""Node processes (the code lives in client.local)."""
from client.local import ROOT, LocalNetwork, NodeProcess, free_port, thread_sessions

__all__ = ["ROOT", "LocalNetwork", "NodeProcess", "free_port", "thread_sessions"]
