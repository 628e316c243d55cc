"""The paper's experiments (Section V), reproduced through a real node: data goes in as
FLOWER_DATA transactions, blocks are mined, and every number is read back from the API."""
