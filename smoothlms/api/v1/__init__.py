"""REST API v1 at /api/v1 (CONTRACT.md section 5). `api.py` holds the NinjaAPI and its routers."""
