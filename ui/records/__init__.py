"""Working with records: the lists, their table model, the detail page and the editor."""
