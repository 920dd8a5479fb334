-- public.children.set_children_updated_at: the trigger's current definition, as the database holds it at head (revisions 0002).
-- No revision runs this file: each runs its own frozen public.children.set_children_updated_at@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
CREATE OR REPLACE TRIGGER set_children_updated_at BEFORE UPDATE ON children FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
