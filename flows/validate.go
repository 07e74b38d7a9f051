package flows

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
)

func reflectValue(f *File) reflect.Value { return reflect.ValueOf(f).Elem() }

// validate checks everything an editor can get wrong and, along the way,
// builds the lookup tables the engine uses. Every problem is recorded; none
// stops the others from being found.
func (fl *Flow) validate(probs *Problems) {
	f := fl.File
	if f.Version != 1 {
		probs.add(f.At("version"), "version must be 1")
	}
	if s := f.Settings.MenuStyle; s != "" && s != "text" && s != "poll" {
		probs.add(f.Settings.At("menu_style"), "menu_style must be text or poll, not %q", s)
	}
	if s := f.Settings.Phrasebook; s != "" && s != "builtin" && s != "none" {
		probs.add(f.Settings.At("phrasebook"), "phrasebook must be builtin or none, not %q", s)
	}
	if f.Settings.HumanPause.Duration <= 0 {
		probs.add(f.Settings.At("human_pause"), "settings.human_pause must be a positive duration like 30m")
	}
	if f.Settings.FloodMax < 3 || f.Settings.FloodPer.Duration <= 0 {
		probs.add(f.Settings.At("flood_max"), "settings.flood_max must be at least 3 and flood_per a positive duration like 1m")
	}
	if f.Settings.LateAfter.Duration <= 0 {
		probs.add(f.Settings.At("late_after"), "settings.late_after must be a positive duration like 15m")
	}
	fl.validateMedia(probs)
	fl.validateCalendar(probs)
	fl.validateID(probs)
	fl.validateCommands(probs)
	fl.validateTexts(probs)
	fl.validateNodes(probs)
	fl.validateGlossary(probs)
	validatePlaceholders(reflect.ValueOf(f).Elem(), probs)
}

// required reports an empty text under key of m.
// A section left out of the file has no position: its problems point at
// the top of the file and name the section.
func required(probs *Problems, m Meta, key string, t Text) {
	if strings.TrimSpace(t.Value) != "" {
		return
	}
	switch {
	case m.Has(key):
		probs.add(m.At(key), "%s must not be empty", key)
	case m.Pos.Line == 0:
		probs.add(m.Pos, "missing %s (its whole section is missing)", key)
	default:
		probs.add(m.Pos, "missing %s", key)
	}
}

func (fl *Flow) validateCalendar(probs *Problems) {
	c := fl.File.Calendar
	cal := &Calendar{National: c.NationalHolidays}
	tz := c.Timezone
	if tz == "" {
		tz = "America/Sao_Paulo"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		probs.add(c.At("timezone"), "unknown timezone %q (use e.g. America/Sao_Paulo)", tz)
		loc = time.UTC
	}
	cal.Location = loc
	days := []struct {
		key string
		day time.Weekday
		t   Text
	}{
		{"mon", time.Monday, c.Hours.Mon}, {"tue", time.Tuesday, c.Hours.Tue},
		{"wed", time.Wednesday, c.Hours.Wed}, {"thu", time.Thursday, c.Hours.Thu},
		{"fri", time.Friday, c.Hours.Fri}, {"sat", time.Saturday, c.Hours.Sat},
		{"sun", time.Sunday, c.Hours.Sun},
	}
	open := false
	for _, d := range days {
		if strings.TrimSpace(d.t.Value) == "" {
			continue
		}
		spans, err := ParseSpans(d.t.Value)
		if err != nil {
			probs.add(d.t.Pos, "bad hours for %s: %v", d.key, err)
			continue
		}
		cal.Week[d.day] = spans
		open = open || len(spans) > 0
	}
	if !open && len(probs.Items) == 0 {
		probs.add(c.At("hours"), "hours: the calendar is never open; write at least one day like mon: \"09:00-18:00\"")
	}
	seen := map[string]Pos{}
	for _, o := range c.OptionalHolidays {
		day, ok := optionalDay(probs, o, cal.Week)
		if !ok {
			continue
		}
		if p, dup := seen[day.Key]; dup {
			probs.add(o.Day.Pos, "optional holiday %q is listed twice (first at line %d)", day.Key, p.Line)
			continue
		}
		seen[day.Key] = o.Day.Pos
		cal.Optional = append(cal.Optional, day)
	}
	for _, e := range c.Closed {
		d, ok := parseEntryDate(probs, e)
		if !ok {
			continue
		}
		if e.Hours.Value != "" {
			probs.add(e.At("hours"), "a closed date has no hours; move it to open: to give it special hours")
		}
		cal.Closed = append(cal.Closed, Holiday{Date: d, Name: e.Name.Value})
	}
	for _, e := range c.Open {
		d, ok := parseEntryDate(probs, e)
		if !ok {
			continue
		}
		spans, err := ParseSpans(e.Hours.Value)
		if err != nil || len(spans) == 0 {
			msg := "an open date needs hours like \"09:00-13:00\""
			if err != nil {
				msg = fmt.Sprintf("bad hours: %v", err)
			}
			probs.add(e.At("hours"), "%s", msg)
			continue
		}
		cal.Open = append(cal.Open, OpenDate{Date: d, Name: e.Name.Value, Spans: spans})
	}
	required(probs, c.Meta, "describe", c.Describe)
	fl.Calendar = cal
}

// optionalDay checks one optional_holidays entry: a known key, and, for a
// day closed only in part, times that leave some regular hours open.
func optionalDay(probs *Problems, o OptionalHoliday, week [7][]Span) (OptionalDay, bool) {
	keys := OptionalHolidayKeys()
	key := strings.TrimSpace(o.Day.Value)
	switch {
	case !o.Has("day"):
		probs.add(o.Pos, "an optional holiday needs day: one of %s", strings.Join(keys, ", "))
		return OptionalDay{}, false
	case !slices.Contains(keys, key):
		probs.add(o.Day.Pos, "unknown optional holiday %q (expected one of: %s)", o.Day.Value, strings.Join(keys, ", "))
		return OptionalDay{}, false
	}
	day := OptionalDay{Key: key}
	if !o.Has("open_from") && !o.Has("open_until") {
		return day, true // the whole day
	}
	w, ok := Span{Start: 0, End: minutesPerDay}, true
	for _, f := range []struct {
		key string
		t   Text
		at  *int
	}{{"open_from", o.OpenFrom, &w.Start}, {"open_until", o.OpenUntil, &w.End}} {
		if !o.Has(f.key) {
			continue
		}
		m, err := parseClock(strings.TrimSpace(f.t.Value))
		if err != nil {
			probs.add(f.t.Pos, "bad time for %s: %q; write it like \"14:00\"", f.key, f.t.Value)
			ok = false
			continue
		}
		*f.at = m
	}
	if !ok {
		return OptionalDay{}, false
	}
	if w.End <= w.Start {
		probs.add(o.OpenUntil.Pos, "open_until %s is not after open_from %s", formatMinute(w.End), formatMinute(w.Start))
		return OptionalDay{}, false
	}
	left := false
	for _, spans := range week {
		left = left || len(Within(spans, w)) > 0
	}
	if !left {
		var said []string
		at := o.OpenUntil.Pos
		if o.Has("open_until") {
			said = append(said, "open_until "+formatMinute(w.End))
		}
		if o.Has("open_from") {
			said, at = append([]string{"open_from " + formatMinute(w.Start)}, said...), o.OpenFrom.Pos
		}
		probs.add(at, "%s leaves none of the regular hours open: to close the whole day, write just the day", strings.Join(said, " and "))
		return OptionalDay{}, false
	}
	day.Open = &w
	return day, true
}

func parseEntryDate(probs *Problems, e DateEntry) (Date, bool) {
	d, err := ParseDate(strings.TrimSpace(e.Date.Value))
	if err != nil {
		probs.add(e.At("date"), "bad date %q: write it as YYYY-MM-DD, e.g. 2026-12-24", e.Date.Value)
		return Date{}, false
	}
	return d, true
}

func (fl *Flow) validateID(probs *Problems) {
	c := fl.File.IDSuporte
	for _, k := range []struct {
		key string
		t   Text
	}{{"ask", c.Ask}, {"invalid", c.Invalid}, {"give_up", c.GiveUp}, {"welcome_back", c.WelcomeBack},
		{"keep", c.Keep}, {"change", c.Change}, {"ask_new", c.AskNew}, {"accepted", c.Accepted}} {
		required(probs, c.Meta, k.key, k.t)
	}
	if c.Ask.Value != "" && !strings.Contains(Normalize(c.Ask.Value), "id suporte") {
		probs.add(c.Ask.Pos, "ask must tell the customer to send their ID Suporte (write \"ID Suporte\" in it)")
	}
	pattern := c.Pattern
	if pattern == "" {
		probs.add(c.Pos, "missing pattern (e.g. '^[0-9]{5,12}$')")
		pattern = "^$"
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		probs.add(c.At("pattern"), "bad pattern: %v", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		re = regexp.MustCompile("^$")
	}
	fl.idRE = re
	if c.Attempts < 1 || c.Attempts > 10 {
		probs.add(c.At("attempts"), "attempts must be between 1 and 10")
	}
}

func (fl *Flow) validateCommands(probs *Problems) {
	c := fl.File.Commands
	fl.commands = map[string]Command{}
	for _, g := range []struct {
		key   string
		cmd   Command
		words []Text
	}{{"menu", CmdMenu, c.Menu}, {"back", CmdBack, c.Back}, {"agent", CmdAgent, c.Agent}, {"quit", CmdQuit, c.Quit}} {
		if len(g.words) == 0 {
			probs.add(c.At(g.key), "commands.%s needs at least one word", g.key)
		}
		for _, w := range g.words {
			n := Normalize(w.Value)
			if n == "" {
				probs.add(w.Pos, "empty command word")
				continue
			}
			if prev, dup := fl.commands[n]; dup && prev != g.cmd {
				probs.add(w.Pos, "%q is already another command's word", w.Value)
				continue
			}
			fl.commands[n] = g.cmd
		}
	}
	fl.skip = map[string]bool{}
	for _, w := range fl.File.Feedback.Skip {
		fl.skip[Normalize(w.Value)] = true
	}
}

func (fl *Flow) validateTexts(probs *Problems) {
	f := fl.File
	type field struct {
		m   Meta
		key string
		t   Text
	}
	fields := []field{
		{f.Texts.Meta, "not_understood", f.Texts.NotUnderstood}, {f.Texts.Meta, "options_hint", f.Texts.OptionsHint},
		{f.Texts.Meta, "media", f.Texts.Media}, {f.Texts.Meta, "goodbye", f.Texts.Goodbye},
		{f.Texts.Meta, "reminder", f.Texts.Reminder}, {f.Texts.Meta, "inactive_closed", f.Texts.InactiveClosed},
		{f.Texts.Meta, "error", f.Texts.Error}, {f.Texts.Meta, "late", f.Texts.Late},
		{f.Texts.Meta, "flow_changed", f.Texts.FlowChanged}, {f.Texts.Meta, "flood", f.Texts.Flood},
		{f.Texts.Meta, "too_long", f.Texts.TooLong},
		{f.Texts.Meta, "call", f.Texts.Call},
		{f.Resolved.Meta, "question", f.Resolved.Question}, {f.Resolved.Meta, "yes", f.Resolved.Yes},
		{f.Resolved.Meta, "no", f.Resolved.No}, {f.Resolved.Meta, "menu", f.Resolved.Menu},
		{f.Feedback.Meta, "ask", f.Feedback.Ask}, {f.Feedback.Meta, "invalid", f.Feedback.Invalid},
		{f.Feedback.Meta, "ask_comment", f.Feedback.AskComment}, {f.Feedback.Meta, "thanks", f.Feedback.Thanks},
		{f.Handoff.Meta, "queued", f.Handoff.Queued}, {f.Handoff.Meta, "waiting", f.Handoff.Waiting},
		{f.Handoff.Meta, "left_queue", f.Handoff.LeftQueue}, {f.Handoff.Meta, "closed", f.Handoff.Closed},
		{f.Handoff.Meta, "leave_message", f.Handoff.LeaveMessage}, {f.Handoff.Meta, "back_to_menu", f.Handoff.BackToMenu},
		{f.Handoff.Meta, "finish", f.Handoff.Finish}, {f.Handoff.Meta, "write_message", f.Handoff.WriteMessage},
		{f.Handoff.Meta, "message_left", f.Handoff.MessageLeft}, {f.Handoff.Meta, "empty_message", f.Handoff.EmptyMessage},
		{f.Handoff.Meta, "need_id", f.Handoff.NeedID},
		{f.Queue.Meta, "position", f.Queue.Position}, {f.Queue.Meta, "wait", f.Queue.Wait}, {f.Queue.Meta, "still_waiting", f.Queue.StillWaiting},
		{f.Queue.Meta, "day_ended", f.Queue.DayEnded}, {f.Queue.Meta, "claimed", f.Queue.Claimed},
		{f.Queue.Meta, "released", f.Queue.Released}, {f.Queue.Meta, "transferred", f.Queue.Transferred},
		{f.Queue.Meta, "escalated", f.Queue.Escalated},
		{f.Tickets.Meta, "empty", f.Tickets.Empty}, {f.Tickets.Meta, "list", f.Tickets.List},
		{f.Tickets.Meta, "item", f.Tickets.Item}, {f.Tickets.Meta, "view", f.Tickets.View},
		{f.Tickets.Meta, "no_messages", f.Tickets.NoMessages}, {f.Tickets.Meta, "comment", f.Tickets.Comment},
		{f.Tickets.Meta, "back_to_list", f.Tickets.BackToList}, {f.Tickets.Meta, "new_chat", f.Tickets.NewChat},
		{f.Tickets.Meta, "resolved_note", f.Tickets.ResolvedNote}, {f.Tickets.Meta, "ask_comment", f.Tickets.AskComment},
		{f.Tickets.Meta, "comment_added", f.Tickets.CommentAdded}, {f.Tickets.Meta, "comment_closed", f.Tickets.CommentClosed},
	}
	for _, x := range fields {
		required(probs, x.m, x.key, x.t)
	}
	if b := f.Feedback.CommentBelow; b < 0 || b > 5 {
		probs.add(f.Feedback.At("comment_below"), "comment_below must be between 0 (never ask) and 5 (always ask)")
	}
	if q := f.Queue; q.NotifyEvery.Duration <= 0 || q.RemindEvery.Duration <= 0 {
		probs.add(q.Pos, "queue.notify_every and queue.remind_every must be positive durations like 3m and 10m")
	}
	if d := f.Queue.ReturnDays; d < 1 || d > 60 {
		probs.add(f.Queue.At("return_days"), "queue.return_days must be between 1 and 60 business days")
	}
	for _, q := range f.Quick {
		required(probs, q.Meta, "title", q.Title)
		if strings.TrimSpace(q.Attachment.Value) == "" {
			required(probs, q.Meta, "text", q.Text)
		}
		fl.validateAttachment(probs, q.Attachment)
	}
	t := f.Timeouts
	if t.Reminder.Duration <= 0 {
		probs.add(t.At("reminder"), "timeouts.reminder must be a positive duration like 10m")
	}
	if t.Close.Duration <= 0 {
		probs.add(t.At("close"), "timeouts.close must be a positive duration like 20m")
	}
	if p := f.Pacing; p.Max.Duration < p.Min.Duration {
		probs.add(p.At("max"), "pacing.max must not be shorter than pacing.min")
	} else if p.Max.Duration > time.Minute {
		probs.add(p.At("max"), "pacing.max over a minute would leave customers waiting")
	}
}

func (fl *Flow) validateNodes(probs *Problems) {
	f := fl.File
	fl.nodes = map[string]*Node{}
	fl.menus = map[string]*Chooser{}
	for _, n := range f.Nodes {
		fl.nodes[n.ID] = n
		if !nodeIDRE.MatchString(n.ID) {
			probs.add(n.IDPos, "node id %q: use only lowercase letters, digits, - and _ (e.g. notas-emitir)", n.ID)
		}
	}
	for _, n := range f.Nodes {
		switch n.Type.Value {
		case KindMenu:
			fl.validateMenu(probs, n)
		case KindTrail:
			fl.validateTrail(probs, n)
		case KindHandoff, KindTickets:
			for _, k := range []string{"text", "options", "messages", "next"} {
				if n.Has(k) {
					probs.add(n.At(k), "%s is not used by a %s node", k, n.Type.Value)
				}
			}
		case "":
			probs.add(n.IDPos, "node %q has no type (menu, trail, handoff or tickets)", n.ID)
		default:
			probs.add(n.Type.Pos, "unknown node type %q (expected menu, trail, handoff or tickets)", n.Type.Value)
		}
	}
	root := f.Menu.Value
	switch rn := fl.nodes[root]; {
	case root == "":
		probs.add(f.Pos, "missing menu: the id of the main menu node")
		return
	case rn == nil:
		probs.add(f.Menu.Pos, "menu points to %q, which is not a node", root)
		return
	case rn.Type.Value != KindMenu:
		probs.add(f.Menu.Pos, "menu must point to a node of type menu, %q is a %s", root, rn.Type.Value)
	}
	seen := map[string]bool{}
	var walk func(id string)
	walk = func(id string) {
		n := fl.nodes[id]
		if n == nil || seen[id] {
			return
		}
		seen[id] = true
		for _, o := range n.Options {
			walk(o.Goto.Value)
		}
		walk(n.Next.Value)
	}
	walk(root)
	for _, n := range f.Nodes {
		if !seen[n.ID] {
			probs.add(n.IDPos, "node %q is unreachable: no option or next leads to it from the menu %q", n.ID, root)
		}
	}
}

func (fl *Flow) validateMenu(probs *Problems, n *Node) {
	required(probs, n.Meta, "text", n.Text)
	for _, k := range []string{"messages", "next"} {
		if n.Has(k) {
			probs.add(n.At(k), "%s is only for trails, not menus", k)
		}
	}
	if len(n.Options) == 0 {
		probs.add(n.At("options"), "menu %q has no options", n.ID)
		return
	}
	labels := make([]string, len(n.Options))
	keywords := make([][]string, len(n.Options))
	owner := map[string]int{}
	for i, o := range n.Options {
		required(probs, o.Meta, "label", o.Label)
		labels[i] = o.Label.Value
		switch target := fl.nodes[o.Goto.Value]; {
		case o.Goto.Value == "":
			probs.add(o.Pos, "option %q has no goto", o.Label.Value)
		case target == nil:
			probs.add(o.Goto.Pos, "goto %q: there is no node with that id", o.Goto.Value)
		case o.Goto.Value == n.ID:
			probs.add(o.Goto.Pos, "goto %q points back to its own menu", o.Goto.Value)
		}
		words := append([]Text{o.Label}, o.Keywords...)
		for j, w := range words {
			k := Normalize(w.Value)
			if k == "" {
				if j > 0 {
					probs.add(w.Pos, "empty keyword")
				}
				continue
			}
			if j > 0 {
				keywords[i] = append(keywords[i], w.Value)
			}
			if fl.commands[k] != CmdNone {
				probs.add(w.Pos, "%q is a global command word; customers typing it would never reach this option", w.Value)
			}
			if prev, dup := owner[k]; dup && prev != i {
				probs.add(w.Pos, "%q already selects option %d (%s) of this menu", w.Value, prev+1, n.Options[prev].Label.Value)
				continue
			}
			owner[k] = i
		}
	}
	fl.menus[n.ID] = NewChooser(labels, keywords)
}

func (fl *Flow) validateTrail(probs *Problems, n *Node) {
	for _, k := range []string{"text", "options"} {
		if n.Has(k) {
			probs.add(n.At(k), "%s is only for menus; a trail has messages", k)
		}
	}
	if len(n.Messages) == 0 {
		probs.add(n.At("messages"), "trail %q has no messages", n.ID)
	}
	for _, m := range n.Messages {
		if strings.TrimSpace(m.Text.Value) == "" && strings.TrimSpace(m.Attachment.Value) == "" {
			probs.add(m.Pos, "empty message in trail %q", n.ID)
		}
		fl.validateAttachment(probs, m.Attachment)
	}
	if n.Next.Value == "" {
		return
	}
	next := fl.nodes[n.Next.Value]
	switch {
	case next == nil:
		probs.add(n.Next.Pos, "next %q: there is no node with that id", n.Next.Value)
		return
	case next.Type.Value != KindTrail:
		probs.add(n.Next.Pos, "next must point to another trail, %q is a %s", n.Next.Value, next.Type.Value)
		return
	}
	seen := map[string]bool{n.ID: true}
	for cur := next; cur != nil && cur.Next.Value != ""; cur = fl.nodes[cur.Next.Value] {
		if seen[cur.ID] {
			probs.add(n.Next.Pos, "trail %q never reaches the resolved question: its next chain loops back through %q", n.ID, cur.ID)
			return
		}
		seen[cur.ID] = true
	}
}

var nodeIDRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

var textsType = reflect.TypeFor[Text]()

// validatePlaceholders walks every Text in the file and refuses unknown
// {names}: a typo would otherwise reach customers verbatim.
func validatePlaceholders(v reflect.Value, probs *Problems) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			validatePlaceholders(v.Elem(), probs)
		}
	case reflect.Slice:
		for i := range v.Len() {
			validatePlaceholders(v.Index(i), probs)
		}
	case reflect.Struct:
		if v.Type() == textsType {
			t := v.Interface().(Text)
			for _, m := range placeholderRE.FindAllStringSubmatch(t.Value, -1) {
				if !slices.Contains(Placeholders, m[1]) {
					probs.add(t.Pos, "unknown placeholder {%s} (known: {%s})", m[1], strings.Join(Placeholders, "}, {"))
				}
			}
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				validatePlaceholders(v.Field(i), probs)
			}
		}
	}
}
