"""The coordinators' board (/board): HTTP-level and headless-browser tests."""
