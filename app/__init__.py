"""Coplan: collaborative lesson planning for Maths Hub Work Groups."""
