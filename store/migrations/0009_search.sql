-- 0009: the console's search. search_terms holds the words of each ticket
-- (its requester's name, and what customers and agents wrote on it),
-- folded to lowercase ASCII, so that a word or its beginning finds the
-- tickets that have it through the index, on any number of tickets; the
-- store writes them with the ticket and its lines, and purge removes them
-- with the texts. Customers are looked up by ID Suporte and phone.

CREATE TABLE search_terms (
    term    TEXT    NOT NULL,
    ticket  INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    PRIMARY KEY (term, ticket)
);
CREATE INDEX search_terms_ticket ON search_terms (ticket, term);

CREATE INDEX customers_id_suporte ON customers (id_suporte) WHERE id_suporte <> '';
CREATE INDEX customers_phone ON customers (phone) WHERE phone <> '';

-- The tickets stored before this migration are indexed when the store
-- opens (store.Open), up to this one.
INSERT INTO settings (name, value)
SELECT 'search_backfill_to', CAST(MAX(id) AS TEXT) FROM tickets HAVING COUNT(*) > 0;
