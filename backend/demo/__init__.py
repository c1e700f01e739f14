"""The scripted demo scenario, driven through the public REST API."""
