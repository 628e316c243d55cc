"""The floor: what HTTP alone costs. A minimal Flask app served by waitress exactly like a node."""
import argparse

from flask import Flask, request

app = Flask(__name__)


@app.get("/ping")
def ping():
    return {"ok": True}


@app.post("/echo")
def echo():
    return {"ok": True, "keys": len(request.get_json() or {})}, 201


if __name__ == "__main__":
    import waitress

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    waitress.serve(app, host="127.0.0.1", port=args.port, threads=8, _quiet=True)
