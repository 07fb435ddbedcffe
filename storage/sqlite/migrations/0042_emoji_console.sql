-- The console lists custom emoji by origin and domain, ordered by domain then
-- shortcode (local first), and filters local ones by category: one index
-- serves the list, its keyset paging and the category menu.
CREATE INDEX custom_emojis_domain_shortcode ON custom_emojis(domain, shortcode);
CREATE INDEX custom_emojis_local_category ON custom_emojis(category) WHERE domain = '';
