"""Uploaded files, judged before anything keeps or shows them (issue 15, "safe by construction").

Plain Python, no Flask and no database, so the rules are tested on their own:

- `inspect`: what a file *is*, decided from its bytes against an allowlist (never from its name
  or the browser's Content-Type), and the name it may be shown under;
- `images`: raster pictures re-encoded from their pixels, with every piece of metadata dropped;
- `extract`: the text inside PDF, DOCX and PPTX files for search, read in a child process with
  time and memory limits, so a hostile or broken file costs a note, never the app.
"""
