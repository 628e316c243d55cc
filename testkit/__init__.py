"""The test bed that product code (bench/, scripts/, experiments/) may import: fake peers, flower
factories, the chromium helper, multi-node waits; node processes are in client.local (re-exported
as testkit.nodes). tests/helpers re-exports all of it for the tests."""
