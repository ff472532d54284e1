"""The practice's policy set, versioned, and clients' acknowledgements of it."""
