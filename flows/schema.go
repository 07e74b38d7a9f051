package flows

// The schema of flows.yaml, as editors write it. Field tags are the keys in
// the file; every mapping embeds Meta so problems carry positions.

// File is a whole flows.yaml.
type File struct {
	Meta
	Version   int            `yaml:"version"`
	Settings  Settings       `yaml:"settings"`
	Calendar  CalendarConfig `yaml:"calendar"`
	IDSuporte IDConfig       `yaml:"id_suporte"`
	Commands  Commands       `yaml:"commands"`
	Timeouts  Timeouts       `yaml:"timeouts"`
	Pacing    Pacing         `yaml:"pacing"`
	Texts     Texts          `yaml:"texts"`
	Resolved  Resolved       `yaml:"resolved"`
	Feedback  FeedbackTexts  `yaml:"feedback"`
	Handoff   HandoffTexts   `yaml:"handoff"`
	Queue     QueueConfig    `yaml:"queue"`
	Tickets   TicketTexts    `yaml:"tickets"`
	Quick     []QuickReply   `yaml:"quick_replies"`
	Glossary  []GlossEntry   `yaml:"glossary"`
	Menu      Text           `yaml:"menu"`
	Nodes     []*Node        `yaml:"nodes,idmap"`
}

// Settings are behaviour switches.
type Settings struct {
	Meta
	MenuStyle  string        `yaml:"menu_style"`  // "text" (default) or "poll"
	HumanPause Duration      `yaml:"human_pause"` // how long a reply from the support phone silences the bot in that chat
	LateAfter  Duration      `yaml:"late_after"`  // a message older than this when handled is answered with an apology
	MarkRead   *bool         `yaml:"mark_read"`   // blue ticks once a message is handled (default true)
	FloodMax   int           `yaml:"flood_max"`   // more messages than this from one chat within flood_per...
	FloodPer   Duration      `yaml:"flood_per"`   // ...are kept on the ticket but not answered, with one polite note
	Media      MediaSettings `yaml:"media"`       // caps on the files customers send
	Phrasebook string        `yaml:"phrasebook"`  // "builtin": routing also learns from the shipped phrasebook (see learn.go); "" or "none": only from this file
}

// CalendarConfig is when the Encantadores work.
type CalendarConfig struct {
	Meta
	Timezone         string            `yaml:"timezone"`
	Hours            WeekHours         `yaml:"hours"`
	NationalHolidays bool              `yaml:"national_holidays"`
	OptionalHolidays []OptionalHoliday `yaml:"optional_holidays"`
	Closed           []DateEntry       `yaml:"closed"`
	Open             []DateEntry       `yaml:"open"`
	Describe         Text              `yaml:"describe"` // how hours are told to customers, e.g. "das 9h às 18h, de segunda a sexta-feira"
}

// WeekHours holds the opening spans of each weekday, e.g. "09:00-18:00".
type WeekHours struct {
	Meta
	Mon Text `yaml:"mon"`
	Tue Text `yaml:"tue"`
	Wed Text `yaml:"wed"`
	Thu Text `yaml:"thu"`
	Fri Text `yaml:"fri"`
	Sat Text `yaml:"sat"`
	Sun Text `yaml:"sun"`
}

// OptionalHoliday is an optional holiday the team keeps: its key, written
// alone (the whole day is closed), or a block whose open_from and/or
// open_until keep the day's regular hours from/until then (Ash Wednesday
// open from 14:00, the eves until 13:00).
type OptionalHoliday struct {
	Meta
	Day       Text `yaml:"day"`
	OpenFrom  Text `yaml:"open_from"`
	OpenUntil Text `yaml:"open_until"`
}

// DateEntry is a special date: closed (a local holiday) or open with its own hours.
type DateEntry struct {
	Meta
	Date  Text `yaml:"date"`
	Name  Text `yaml:"name"`
	Hours Text `yaml:"hours"`
}

// IDConfig is how the bot asks for and checks the customer's ID Suporte.
type IDConfig struct {
	Meta
	Ask         Text   `yaml:"ask"`
	Pattern     string `yaml:"pattern"`
	Remove      string `yaml:"remove"`
	Attempts    int    `yaml:"attempts"`
	Invalid     Text   `yaml:"invalid"`
	GiveUp      Text   `yaml:"give_up"`
	WelcomeBack Text   `yaml:"welcome_back"`
	Keep        Text   `yaml:"keep"`
	Change      Text   `yaml:"change"`
	AskNew      Text   `yaml:"ask_new"`
	Accepted    Text   `yaml:"accepted"`
}

// Commands are the words that work anywhere in a conversation.
type Commands struct {
	Meta
	Menu  []Text `yaml:"menu"`
	Back  []Text `yaml:"back"`
	Agent []Text `yaml:"agent"`
	Quit  []Text `yaml:"quit"`
}

// Timeouts drive the inactivity reminder and the automatic close.
type Timeouts struct {
	Meta
	Reminder Duration `yaml:"reminder"`
	Close    Duration `yaml:"close"`
}

// Pacing makes the bot type like a person: a pause per message scaled to its length.
type Pacing struct {
	Meta
	Min     Duration `yaml:"min"`
	Max     Duration `yaml:"max"`
	PerChar Duration `yaml:"per_char"`
}

// Texts are the bot's general messages.
type Texts struct {
	Meta
	NotUnderstood  Text `yaml:"not_understood"`
	OptionsHint    Text `yaml:"options_hint"`
	Media          Text `yaml:"media"`
	Goodbye        Text `yaml:"goodbye"`
	Reminder       Text `yaml:"reminder"`
	InactiveClosed Text `yaml:"inactive_closed"`
	Error          Text `yaml:"error"`
	Late           Text `yaml:"late"`
	FlowChanged    Text `yaml:"flow_changed"`
	Flood          Text `yaml:"flood"`
	TooLong        Text `yaml:"too_long"`
	Call           Text `yaml:"call"`

	// Answers about files; optional, with built-in defaults.
	MediaReceived Text `yaml:"media_received"` // queued or with an agent: once per burst of files
	MediaTooBig   Text `yaml:"media_too_big"`  // a file over settings.media's caps
	MediaFailed   Text `yaml:"media_failed"`   // a file that could not be downloaded

	// The question free text gets when a few nodes fit it; optional,
	// with built-in defaults.
	Which      Text `yaml:"which"`       // "É sobre {assuntos}?"
	WhichOther Text `yaml:"which_other"` // the option for none of them
}

// Resolved is the "did this solve it?" question asked at the end of a trail.
type Resolved struct {
	Meta
	Question Text `yaml:"question"`
	Yes      Text `yaml:"yes"`
	No       Text `yaml:"no"`
	Menu     Text `yaml:"menu"`
}

// FeedbackTexts ask for the 1 to 5 rating and the optional comment.
type FeedbackTexts struct {
	Meta
	Ask          Text   `yaml:"ask"`
	Invalid      Text   `yaml:"invalid"`
	CommentBelow int    `yaml:"comment_below"`
	AskComment   Text   `yaml:"ask_comment"`
	Skip         []Text `yaml:"skip"`
	Thanks       Text   `yaml:"thanks"`
}

// HandoffTexts cover the way to a person, in and out of business hours.
type HandoffTexts struct {
	Meta
	Queued       Text `yaml:"queued"`
	Waiting      Text `yaml:"waiting"`
	LeftQueue    Text `yaml:"left_queue"`
	Closed       Text `yaml:"closed"`
	LeaveMessage Text `yaml:"leave_message"`
	BackToMenu   Text `yaml:"back_to_menu"`
	Finish       Text `yaml:"finish"`
	WriteMessage Text `yaml:"write_message"`
	MessageLeft  Text `yaml:"message_left"`
	EmptyMessage Text `yaml:"empty_message"`
	NeedID       Text `yaml:"need_id"`
}

// QueueConfig is what customers hear while they wait for an Encantador,
// and what they hear from the agents' side of the chat.
type QueueConfig struct {
	Meta
	NotifyEvery  Duration `yaml:"notify_every"` // at most one position update per this interval
	RemindEvery  Duration `yaml:"remind_every"` // a "still in the queue" note after this long without news
	Position     Text     `yaml:"position"`
	Wait         Text     `yaml:"wait"`
	StillWaiting Text     `yaml:"still_waiting"`
	DayEnded     Text     `yaml:"day_ended"`
	Claimed      Text     `yaml:"claimed"`
	Released     Text     `yaml:"released"`
	Transferred  Text     `yaml:"transferred"`
	Escalated    Text     `yaml:"escalated"`
	ReturnDays   int      `yaml:"return_days"` // business days the product team has to answer (the seed says 6)
}

// TicketTexts are the "Meus chamados" texts: the customer's tickets on WhatsApp.
type TicketTexts struct {
	Meta
	Empty         Text `yaml:"empty"`
	List          Text `yaml:"list"`
	Item          Text `yaml:"item"`
	View          Text `yaml:"view"`
	NoMessages    Text `yaml:"no_messages"`
	Comment       Text `yaml:"comment"`
	BackToList    Text `yaml:"back_to_list"`
	NewChat       Text `yaml:"new_chat"`
	ResolvedNote  Text `yaml:"resolved_note"`
	AskComment    Text `yaml:"ask_comment"`
	CommentAdded  Text `yaml:"comment_added"`
	CommentClosed Text `yaml:"comment_closed"`
}

// QuickReply is a ready answer agents pick in the console.
type QuickReply struct {
	Meta
	Title      Text `yaml:"title"`
	Text       Text `yaml:"text"`
	Attachment Text `yaml:"attachment"` // a file beside flows.yaml sent with the text (e.g. a PDF guide)
}

// GlossEntry is one entry of the editors' glossary: terms of the trade
// customers write ("duplicata", "RPS") and what they mean in the words
// routing knows ("boleto", "nota de serviço"). Routing reads each term
// as its meaning, in customers' texts and in the tree's own phrases.
type GlossEntry struct {
	Meta
	Terms []Text `yaml:"terms"`
	Means Text   `yaml:"means"`
}

// Node kinds.
const (
	KindMenu    = "menu"
	KindTrail   = "trail"
	KindHandoff = "handoff"
	KindTickets = "tickets"
)

// Node is one step of the trail tree: a menu of options, a trail of
// messages, or the way to a person.
type Node struct {
	Meta
	ID       string    `yaml:"-"`
	IDPos    Pos       `yaml:"-"`
	Type     Text      `yaml:"type"`
	Title    Text      `yaml:"title"`
	Text     Text      `yaml:"text"`
	Options  []Option  `yaml:"options"`
	Messages []Message `yaml:"messages"`
	Next     Text      `yaml:"next"`
	Examples []Text    `yaml:"examples"` // sentences customers write about this node, for routing free text
}

// Option is one numbered choice of a menu.
type Option struct {
	Meta
	Label    Text   `yaml:"label"`
	Keywords []Text `yaml:"keywords"`
	Goto     Text   `yaml:"goto"`
}

// Message is one message of a trail: a text, written as a plain string,
// or a block with a file beside flows.yaml and an optional caption.
type Message struct {
	Meta
	Text       Text `yaml:"text"`
	Attachment Text `yaml:"attachment"`
}
