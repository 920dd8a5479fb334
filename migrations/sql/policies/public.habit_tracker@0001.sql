-- public.habit_tracker (policie): the statements revision 0001_legacy_baseline ran for it.
-- Frozen (migrations/MANIFEST): never edited. The current definition is policies/public.habit_tracker.sql.

-- statement
CREATE POLICY "Users can only access their own data" ON habit_tracker FOR ALL USING (auth.uid() IS NOT NULL AND auth.uid()::TEXT = user_id::TEXT);
