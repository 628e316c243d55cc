"""Gossip: each peer has its own bounded queue and its own sender, so a slow or silent peer never
delays what goes to the others. When a queue is full the oldest entries are dropped; the peer
catches up later through the sync (blocks) and the pending-pool catch-up (transactions)."""
from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Callable

log = logging.getLogger("network")

QUEUE_LIMIT = 256  # messages waiting for one peer


class PeerQueue:
    def __init__(self, url: str, send: Callable[[str, str, dict], None]) -> None:
        self.url = url
        self._send = send
        self._queue: deque = deque(maxlen=QUEUE_LIMIT)
        self._ready = threading.Condition()
        self._closed = False
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name=f"gossip {url}", daemon=True)
        self._thread.start()

    def put(self, path: str, body: dict) -> None:
        with self._ready:
            if len(self._queue) == QUEUE_LIMIT:
                self.dropped += 1
            self._queue.append((path, body))  # a full deque drops its oldest entry
            self._ready.notify()

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._queue.clear()
            self._ready.notify()

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._closed:
                    self._ready.wait()
                if self._closed:
                    return
                path, body = self._queue.popleft()
            try:
                self._send(self.url, path, body)
            except Exception:  # a sender thread must outlive anything a peer does
                log.exception("gossip to %s failed", self.url)


class Gossip:
    def __init__(self, send: Callable[[str, str, dict], None]) -> None:
        self._send = send
        self._queues: dict[str, PeerQueue] = {}
        self._lock = threading.Lock()

    def push(self, urls: list[str], path: str, body: dict) -> None:
        for url in urls:
            with self._lock:
                queue = self._queues.get(url)
                if queue is None:
                    queue = self._queues[url] = PeerQueue(url, self._send)
            queue.put(path, body)

    def forget(self, url: str) -> None:
        with self._lock:
            queue = self._queues.pop(url, None)
        if queue is not None:
            queue.close()

    def close(self) -> None:
        with self._lock:
            queues, self._queues = list(self._queues.values()), {}
        for queue in queues:
            queue.close()
