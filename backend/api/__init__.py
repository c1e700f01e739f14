"""The HTTP surface: FastAPI app, routers, auth dependencies, error envelope."""
