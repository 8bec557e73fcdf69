"""The action library: scripted controllers that read only what a real robot or cell measures."""
