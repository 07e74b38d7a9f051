-- 0009 on PostgreSQL: as ../0009_search.sql, with a BIGINT ticket.

CREATE TABLE search_terms (
    term    TEXT   NOT NULL,
    ticket  BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    PRIMARY KEY (term, ticket)
);
CREATE INDEX search_terms_ticket ON search_terms (ticket, term);

CREATE INDEX customers_id_suporte ON customers (id_suporte) WHERE id_suporte <> '';
CREATE INDEX customers_phone ON customers (phone) WHERE phone <> '';

INSERT INTO settings (name, value)
SELECT 'search_backfill_to', CAST(MAX(id) AS TEXT) FROM tickets HAVING COUNT(*) > 0;
