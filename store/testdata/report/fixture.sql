-- The report fixture: a week of tickets with known answers, worked out by
-- hand in store/report_test.go (TestReport). Business hours: Mon-Fri
-- 09:00-18:00 in America/Sao_Paulo (UTC-3 all year), 2026-12-25 (Natal)
-- closed. The report covers Mon 2026-12-21 to Sun 2026-12-27 and is made
-- as of Mon 2027-01-04 12:00. Times are written in São Paulo time; the
-- columns hold unix milliseconds, as the store writes them.

INSERT INTO agents (id, email, name, role, password_hash) VALUES
    (1, 'ana@example.com', 'Ana', 'agent', 'x'),
    (2, 'bruno@example.com', 'Bruno', 'agent', 'x'),
    (3, 'carla@example.com', 'Carla', 'supervisor', 'x');

-- created: when the conversation began; the columns not listed are 0/''.
INSERT INTO tickets (id, chat, topic, status, created_at, closed_at, close_reason) VALUES
    -- Mon 09:00 (opening minute: inside hours): trail read, "sim, resolveu", rated 5.
    (100001, 'c01', 'notas-nfe', 'resolvido',
        unixepoch('2026-12-21 09:00-03:00') * 1000, unixepoch('2026-12-21 09:04-03:00') * 1000, 'resolvido_pelo_bot'),
    -- Fri 25 Dec, Natal (outside hours): trail solved, rated 4.
    (100007, 'c07', 'acesso', 'resolvido',
        unixepoch('2026-12-25 10:00-03:00') * 1000, unixepoch('2026-12-25 10:03-03:00') * 1000, 'resolvido_pelo_bot'),
    -- Thu: trail read, then silence: closed by inactivity, nobody called.
    (100013, 'c13', 'notas-nfse', 'resolvido',
        unixepoch('2026-12-24 10:00-03:00') * 1000, unixepoch('2026-12-24 10:30-03:00') * 1000, 'inatividade'),
    -- Sat: a trail since removed from flows.yaml, solved, rated 5.
    (100014, 'c14', 'trilha-antiga', 'resolvido',
        unixepoch('2026-12-26 12:00-03:00') * 1000, unixepoch('2026-12-26 12:02-03:00') * 1000, 'resolvido_pelo_bot'),
    -- Tue 18:00 (closing minute: outside hours): no ID Suporte, no trail.
    (100015, 'c15', '', 'resolvido',
        unixepoch('2026-12-22 18:00-03:00') * 1000, unixepoch('2026-12-22 18:05-03:00') * 1000, 'id_suporte_nao_informado'),
    -- Sun 20 Dec 23:59:59, one second before the range (but 21 Dec in UTC): excluded.
    (100011, 'c11', 'notas-nfe', 'resolvido',
        unixepoch('2026-12-20 23:59:59-03:00') * 1000, unixepoch('2026-12-21 00:02-03:00') * 1000, 'resolvido_pelo_bot');

-- Tickets that met the human queue.
INSERT INTO tickets (id, chat, topic, status, created_at, queued_at, agent, claimed_at, first_response_at,
    closed_at, close_reason, escalated_at, escalation_due) VALUES
    -- Mon 11:00: trail not solved, queued 11:02, Ana claims 11:10, answers 11:12, resolves 11:40. Rated 4.
    (100002, 'c02', 'notas-nfe', 'resolvido', unixepoch('2026-12-21 11:00-03:00') * 1000, 0,
        '1', unixepoch('2026-12-21 11:10-03:00') * 1000, unixepoch('2026-12-21 11:12-03:00') * 1000,
        unixepoch('2026-12-21 11:40-03:00') * 1000, 'resolvido_pelo_encantador', 0, 0),
    -- Mon 23:30 (outside hours), spans two days: message left 23:35; Bruno claims Tue 09:05,
    -- answers 09:06, resolves 09:20. Rated 2.
    (100003, 'c03', '', 'resolvido', unixepoch('2026-12-21 23:30-03:00') * 1000, 0,
        '2', unixepoch('2026-12-22 09:05-03:00') * 1000, unixepoch('2026-12-22 09:06-03:00') * 1000,
        unixepoch('2026-12-22 09:20-03:00') * 1000, 'resolvido_pelo_encantador', 0, 0),
    -- Tue 17:40: trail not solved, queued 17:45 (15 min before closing); Ana claims Wed 09:03,
    -- answers 09:10, resolves 10:00. Rated 3.
    (100004, 'c04', 'notas-nfse', 'resolvido', unixepoch('2026-12-22 17:40-03:00') * 1000, 0,
        '1', unixepoch('2026-12-23 09:03-03:00') * 1000, unixepoch('2026-12-23 09:10-03:00') * 1000,
        unixepoch('2026-12-23 10:00-03:00') * 1000, 'resolvido_pelo_encantador', 0, 0),
    -- Wed 14:00: queued 14:01, typed "sair" 14:05: abandoned, the ticket stays aberto.
    (100005, 'c05', '', 'aberto', unixepoch('2026-12-23 14:00-03:00') * 1000, 0,
        '', 0, 0, 0, '', 0, 0),
    -- Sun 20:00: message left 20:05, still waiting.
    (100006, 'c06', '', 'aberto', unixepoch('2026-12-27 20:00-03:00') * 1000, unixepoch('2026-12-27 20:05-03:00') * 1000,
        '', 0, 0, 0, '', 0, 0),
    -- Tue 10:00: queued 10:00, Carla claims 10:02, answers 10:04, escalates 10:30 due Wed 30 Dec 18:00;
    -- resolved Mon 28 Dec 11:00: the promise was met.
    (100008, 'c08', '', 'resolvido', unixepoch('2026-12-22 10:00-03:00') * 1000, 0,
        '3', unixepoch('2026-12-22 10:02-03:00') * 1000, unixepoch('2026-12-22 10:04-03:00') * 1000,
        unixepoch('2026-12-28 11:00-03:00') * 1000, 'resolvido_pelo_encantador',
        unixepoch('2026-12-22 10:30-03:00') * 1000, unixepoch('2026-12-30 18:00-03:00') * 1000),
    -- Wed 15:00: queued 15:00, Carla claims 15:10, answers 15:20, escalates 15:30 due Thu 24 Dec 18:00;
    -- still open: overdue.
    (100009, 'c09', '', 'aberto', unixepoch('2026-12-23 15:00-03:00') * 1000, 0,
        '3', unixepoch('2026-12-23 15:10-03:00') * 1000, unixepoch('2026-12-23 15:20-03:00') * 1000,
        0, '', unixepoch('2026-12-23 15:30-03:00') * 1000, unixepoch('2026-12-24 18:00-03:00') * 1000),
    -- Thu 09:30: queued 09:30, Bruno claims 09:40, answers 09:45, escalates 10:00 due Fri 8 Jan 18:00;
    -- still open, within the deadline.
    (100010, 'c10', '', 'aberto', unixepoch('2026-12-24 09:30-03:00') * 1000, 0,
        '2', unixepoch('2026-12-24 09:40-03:00') * 1000, unixepoch('2026-12-24 09:45-03:00') * 1000,
        0, '', unixepoch('2026-12-24 10:00-03:00') * 1000, unixepoch('2027-01-08 18:00-03:00') * 1000),
    -- Mon 12:00: queued 12:00, Ana claims 12:01, answers 12:02, escalates 12:30 due Tue 22 Dec 18:00;
    -- resolved Wed 23 Dec 11:00: late.
    (100016, 'c16', '', 'resolvido', unixepoch('2026-12-21 12:00-03:00') * 1000, 0,
        '1', unixepoch('2026-12-21 12:01-03:00') * 1000, unixepoch('2026-12-21 12:02-03:00') * 1000,
        unixepoch('2026-12-23 11:00-03:00') * 1000, 'resolvido_pelo_encantador',
        unixepoch('2026-12-21 12:30-03:00') * 1000, unixepoch('2026-12-22 18:00-03:00') * 1000),
    -- Thu 16:00: trail not solved, queued 16:01, Bruno claims 16:05 and releases it 16:20 (back in
    -- the queue); Carla takes it 16:30, answers 16:35, resolves 17:00. claimed_at keeps the first
    -- claim. Rated 5.
    (100017, 'c17', 'acesso', 'resolvido', unixepoch('2026-12-24 16:00-03:00') * 1000, 0,
        '3', unixepoch('2026-12-24 16:05-03:00') * 1000, unixepoch('2026-12-24 16:35-03:00') * 1000,
        unixepoch('2026-12-24 17:00-03:00') * 1000, 'resolvido_pelo_encantador', 0, 0),
    -- Mon 28 Dec 00:00, the first instant after the range: excluded.
    (100012, 'c12', 'notas-nfe', 'aberto', unixepoch('2026-12-28 00:00-03:00') * 1000, unixepoch('2026-12-28 00:05-03:00') * 1000,
        '', 0, 0, 0, '', 0, 0);

-- The queue notes the bot writes as it puts a customer in the queue and
-- takes them out (claimed, "sair", "menu").
INSERT INTO ticket_events (ticket, at, kind, actor, text) VALUES
    (100002, unixepoch('2026-12-21 11:02-03:00') * 1000, 'system', 'bot', 'cliente entrou na fila de atendimento'),
    (100002, unixepoch('2026-12-21 11:10-03:00') * 1000, 'system', 'bot', 'cliente saiu da fila de atendimento'),
    (100002, unixepoch('2026-12-21 11:12-03:00') * 1000, 'agent', 'Ana', 'Oi! Vou verificar.'),
    (100003, unixepoch('2026-12-21 23:35-03:00') * 1000, 'customer', 'c03', 'minha nota não sai'),
    (100003, unixepoch('2026-12-21 23:35-03:00') * 1000, 'system', 'bot', 'cliente entrou na fila de atendimento'),
    (100003, unixepoch('2026-12-22 09:05-03:00') * 1000, 'system', 'bot', 'cliente saiu da fila de atendimento'),
    (100004, unixepoch('2026-12-22 17:45-03:00') * 1000, 'system', 'bot', 'cliente entrou na fila de atendimento'),
    (100004, unixepoch('2026-12-23 09:03-03:00') * 1000, 'system', 'bot', 'cliente saiu da fila de atendimento'),
    (100005, unixepoch('2026-12-23 14:01-03:00') * 1000, 'system', 'bot', 'cliente entrou na fila de atendimento'),
    (100005, unixepoch('2026-12-23 14:05-03:00') * 1000, 'customer', 'c05', 'sair'),
    (100005, unixepoch('2026-12-23 14:05-03:00') * 1000, 'system', 'bot', 'cliente saiu da fila de atendimento'),
    (100006, unixepoch('2026-12-27 20:05-03:00') * 1000, 'system', 'bot', 'cliente entrou na fila de atendimento'),
    (100008, unixepoch('2026-12-22 10:00-03:00') * 1000, 'system', 'bot', 'cliente entrou na fila de atendimento'),
    (100008, unixepoch('2026-12-22 10:02-03:00') * 1000, 'system', 'bot', 'cliente saiu da fila de atendimento'),
    (100008, unixepoch('2026-12-22 10:30-03:00') * 1000, 'system', 'Carla', 'escalado para o time de produto; prazo 30/12/2026'),
    (100009, unixepoch('2026-12-23 15:00-03:00') * 1000, 'system', 'bot', 'cliente entrou na fila de atendimento'),
    (100009, unixepoch('2026-12-23 15:10-03:00') * 1000, 'system', 'bot', 'cliente saiu da fila de atendimento'),
    (100010, unixepoch('2026-12-24 09:30-03:00') * 1000, 'system', 'bot', 'cliente entrou na fila de atendimento'),
    (100010, unixepoch('2026-12-24 09:40-03:00') * 1000, 'system', 'bot', 'cliente saiu da fila de atendimento'),
    (100016, unixepoch('2026-12-21 12:00-03:00') * 1000, 'system', 'bot', 'cliente entrou na fila de atendimento'),
    (100016, unixepoch('2026-12-21 12:01-03:00') * 1000, 'system', 'bot', 'cliente saiu da fila de atendimento'),
    (100017, unixepoch('2026-12-24 16:01-03:00') * 1000, 'system', 'bot', 'cliente entrou na fila de atendimento'),
    (100017, unixepoch('2026-12-24 16:05-03:00') * 1000, 'system', 'bot', 'cliente saiu da fila de atendimento'),
    (100017, unixepoch('2026-12-24 16:20-03:00') * 1000, 'system', 'Bruno', 'devolvido à fila'),
    (100017, unixepoch('2026-12-24 16:20-03:00') * 1000, 'system', 'bot', 'cliente entrou na fila de atendimento'),
    (100017, unixepoch('2026-12-24 16:30-03:00') * 1000, 'system', 'bot', 'cliente saiu da fila de atendimento'),
    (100012, unixepoch('2026-12-28 00:05-03:00') * 1000, 'system', 'bot', 'cliente entrou na fila de atendimento');

-- Ratings carry the agent and the trail as they were when given.
INSERT INTO feedback (ticket, chat, rating, comment, agent, topic, at) VALUES
    (100001, 'c01', 5, '', '', 'notas-nfe', unixepoch('2026-12-21 09:04-03:00') * 1000),
    (100002, 'c02', 4, '', '1', 'notas-nfe', unixepoch('2026-12-21 11:41-03:00') * 1000),
    (100003, 'c03', 2, 'demorou', '2', '', unixepoch('2026-12-22 09:21-03:00') * 1000),
    (100004, 'c04', 3, '', '1', 'notas-nfse', unixepoch('2026-12-23 10:01-03:00') * 1000),
    (100007, 'c07', 4, '', '', 'acesso', unixepoch('2026-12-25 10:03-03:00') * 1000),
    (100014, 'c14', 5, '', '', 'trilha-antiga', unixepoch('2026-12-26 12:02-03:00') * 1000),
    (100017, 'c17', 5, '', '3', 'acesso', unixepoch('2026-12-24 17:01-03:00') * 1000),
    (100011, 'c11', 1, '', '', 'notas-nfe', unixepoch('2026-12-21 00:02-03:00') * 1000);

-- What the bot did not understand (store.EventUnmatched), folded: "kkkk"
-- twice, one phrase once; the last line is before the week.
INSERT INTO ticket_events (ticket, at, kind, actor, text) VALUES
    (100003, unixepoch('2026-12-21 23:31-03:00') * 1000, 'unmatched', 'inicio', 'kkkk'),
    (100004, unixepoch('2026-12-22 10:02-03:00') * 1000, 'unmatched', 'inicio', 'quero mudar o logo da nota'),
    (100007, unixepoch('2026-12-24 09:30-03:00') * 1000, 'unmatched', 'notas', 'kkkk'),
    (100011, unixepoch('2026-12-20 23:59-03:00') * 1000, 'unmatched', 'inicio', 'antes da semana');

-- What the bot asked about (store.EventAsked), folded, and the answers
-- (store.EventChosen): "perdi minha senha" confirmed twice, "quero
-- cancelar" answered with none of them once and left unanswered once.
INSERT INTO ticket_events (ticket, at, kind, actor, text) VALUES
    (100003, unixepoch('2026-12-21 23:32-03:00') * 1000, 'asked', 'acesso', 'perdi minha senha'),
    (100003, unixepoch('2026-12-21 23:33-03:00') * 1000, 'chosen', 'acesso', ''),
    (100007, unixepoch('2026-12-24 09:31-03:00') * 1000, 'asked', 'acesso', 'perdi minha senha'),
    (100007, unixepoch('2026-12-24 09:32-03:00') * 1000, 'chosen', 'acesso', ''),
    (100004, unixepoch('2026-12-22 10:03-03:00') * 1000, 'asked', 'notas-cancelar|plano', 'quero cancelar'),
    (100004, unixepoch('2026-12-22 10:04-03:00') * 1000, 'chosen', '', ''),
    (100004, unixepoch('2026-12-22 10:05-03:00') * 1000, 'asked', 'notas-cancelar|plano', 'quero cancelar');

-- Files: customers sent two screenshots (one over the cap, refused) and a
-- voice note in the week, one screenshot the day before it; Ana sent a PDF.
INSERT INTO media (chat, inbox, direction, kind, state, created_at) VALUES
    ('c01', 0, 'in', 'image', 'stored', unixepoch('2026-12-21 09:05-03:00') * 1000),
    ('c04', 0, 'in', 'image', 'failed', unixepoch('2026-12-23 10:05-03:00') * 1000),
    ('c04', 0, 'in', 'audio', 'stored', unixepoch('2026-12-23 10:06-03:00') * 1000),
    ('c04', 0, 'out', 'document', 'stored', unixepoch('2026-12-23 10:10-03:00') * 1000),
    ('c01', 0, 'in', 'image', 'stored', unixepoch('2026-12-20 09:00-03:00') * 1000);
INSERT INTO outbox (chat, ticket, text, author, created_at, sent_at, media) VALUES
    ('c04', 100004, '*Ana*', '1', unixepoch('2026-12-23 10:10-03:00') * 1000, unixepoch('2026-12-23 10:10-03:00') * 1000,
     (SELECT id FROM media WHERE direction = 'out' AND chat = 'c04'));
