-- public.habit_tracker: every row-level-security policy of the table, as currently defined, as the database holds it at head (revisions 0001).
-- No revision runs this file: each runs its own frozen public.habit_tracker@<revision>.sql where it has one.
-- tests/test_current_definitions.py proves the database at head equals this file.

-- statement
DROP POLICY IF EXISTS "Users can only access their own data" ON habit_tracker;

-- statement
CREATE POLICY "Users can only access their own data" ON habit_tracker FOR ALL USING (auth.uid() IS NOT NULL AND auth.uid()::TEXT = user_id::TEXT);
