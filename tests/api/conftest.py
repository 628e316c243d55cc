import pytest

from api import create_app

FLOWER = {"sender": "botanist", "sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4,
          "petal_width": 0.2, "flower_type": "setosa"}
MEASURES = {k: FLOWER[k] for k in ("sepal_length", "sepal_width", "petal_length", "petal_width")}


@pytest.fixture
def app():
    app = create_app({"ephemeral": True, "difficulty": 1})
    yield app
    app.extensions["node"].close()


@pytest.fixture
def client(app):
    return app.test_client()


def snapshot(client):
    """Everything a bad request must leave as it was."""
    health = client.get("/health").get_json()
    return (health["height"], health["tip"], health["pending"], health["model_hash"],
            client.get("/transactions/pending").get_json()["count"])
