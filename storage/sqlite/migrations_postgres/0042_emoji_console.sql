-- PostgreSQL counterpart of the SQLite migration 0042.
CREATE INDEX custom_emojis_domain_shortcode ON custom_emojis(domain, shortcode);
CREATE INDEX custom_emojis_local_category ON custom_emojis(category) WHERE domain = '';
