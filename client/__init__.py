"""A wallet for people: keys, signed transfers and flower data, balances, against any node."""
