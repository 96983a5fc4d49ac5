"""Planning: lesson sequences, lessons, revisions, history, merge, adapt and export."""
