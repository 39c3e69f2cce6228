"""The review web page over the refinement queue (`triforce review serve`)."""

from triforce.refine.web.app import create_app

__all__ = ["create_app"]
