package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"civicdesk/app/catalog"
	"civicdesk/sync/client"
	"civicdesk/sync/wire"
)

// textWidth is how much of a comment or a feedback's text the table shows.
const textWidth = 60

// checkDay refuses a --day that is not a real YYYYMMDD date.
func checkDay(day string) error {
	if day == "" {
		return nil
	}
	if _, err := time.Parse("20060102", day); err != nil || len(day) != 8 {
		return withCode(exitUsage, "--day must be a real date written YYYYMMDD, e.g. 20260302")
	}
	return nil
}

func cmdFeedback(ctx context.Context, g *globals, args []string) error {
	fs := flag.NewFlagSet("feedback", flag.ContinueOnError)
	token := staffFlags(fs, g)
	followUp := fs.Bool("follow-up", false, "only what the hall must follow up")
	kind := fs.String("kind", "", "rating, feedback or ticket")
	hall := fs.String("hall", "", "only this hall's")
	day := fs.String("day", "", "YYYYMMDD: a ticket's day or the day received")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return withCode(exitUsage, "feedback takes no arguments (run 'hallctl help')")
	}
	switch *kind {
	case "", wire.KindRating, wire.KindFeedback, wire.KindTicket:
	default:
		return withCode(exitUsage, "--kind must be rating, feedback or ticket")
	}
	if err := checkDay(*day); err != nil {
		return err
	}
	bo, done, err := g.staffClient(*token)
	if err != nil {
		return err
	}
	defer done()
	list, err := bo.Interactions(ctx, client.InteractionFilter{Kind: *kind, Hall: *hall, Day: *day, FollowUpOnly: *followUp})
	if err != nil {
		return staffErr(err, "list interactions")
	}
	open := 0
	follow := 0
	for _, in := range list {
		if in.FollowUp {
			follow++
			if len(in.Replies) == 0 {
				open++
			}
		}
	}
	return g.out(list, func(w io.Writer) {
		fmt.Fprintf(w, "%d interactions: %d to follow up, %d of them without a reply\n", len(list), follow, open)
		if len(list) == 0 {
			return
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RECEIVED\tKIND\tREFERENCE\tSCORE/CATEGORY\tFOLLOW-UP\tREPLIES\tID\tTEXT")
		for _, in := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", in.ReceivedAt.Local().Format("2006-01-02 15:04"), in.Kind,
				dash(reference(in)), dash(scoreOrCategory(in)), yesDash(in.FollowUp), len(in.Replies), in.ID, dash(textOf(in)))
		}
		tw.Flush()
	})
}

// reference is a rating's or feedback's reference, or a ticket's number.
func reference(in wire.BackofficeInteraction) string {
	if in.Ticket != nil {
		return in.Ticket.Number
	}
	return in.Reference
}

func scoreOrCategory(in wire.BackofficeInteraction) string {
	switch {
	case in.Rating != nil:
		return strconv.Itoa(in.Rating.Score) + "/5"
	case in.Feedback != nil:
		return in.Feedback.Category
	case in.Ticket != nil:
		return in.Ticket.Category
	}
	return ""
}

// textOf is the start of a rating's comment or a feedback's text; never the
// contact number.
func textOf(in wire.BackofficeInteraction) string {
	switch {
	case in.Rating != nil:
		return oneLine(in.Rating.Comment, textWidth)
	case in.Feedback != nil:
		return oneLine(in.Feedback.Text, textWidth)
	}
	return ""
}

func yesDash(b bool) string {
	if b {
		return "yes"
	}
	return "-"
}

func cmdReply(ctx context.Context, g *globals, args []string) error {
	fs := flag.NewFlagSet("reply", flag.ContinueOnError)
	token := staffFlags(fs, g)
	zh := fs.String("zh", "", "the reply in Chinese")
	en := fs.String("en", "", "the reply in English")
	id, err := parseWithID(fs, args, "reply takes one interaction id", "give the id of the rating or feedback to reply to ('hallctl feedback' lists them)")
	if err != nil {
		return err
	}
	text := catalog.Text{}
	for lang, v := range map[string]string{catalog.LangZh: *zh, catalog.LangEn: *en} {
		if trimSpace(v) == "" {
			continue
		}
		if utf8.RuneCountInString(v) > wire.MaxReplyText {
			return withCode(exitUsage, "the reply in %s is longer than %d characters: shorten it", lang, wire.MaxReplyText)
		}
		text[lang] = v
	}
	if len(text) == 0 {
		return withCode(exitUsage, "write the reply: --zh TEXT, --en TEXT or both")
	}
	bo, done, err := g.staffClient(*token)
	if err != nil {
		return err
	}
	defer done()
	in, err := bo.Reply(ctx, id, wire.Reply{Text: text})
	if err != nil {
		return staffErr(err, "could not reply")
	}
	return g.out(in, func(w io.Writer) {
		fmt.Fprintf(w, "replied to %s %s (%d replies); the device that sent it gets the reply at its next sync\n",
			in.Kind, dash(in.Reference), len(in.Replies))
	})
}

// ticketsOut is what tickets --json prints.
type ticketsOut struct {
	Tickets []wire.BackofficeInteraction `json:"tickets"`
	// Clashes: tickets refused because another ticket held their number
	// (-1 when the server did not say).
	Clashes int `json:"clashes"`
}

func cmdTickets(ctx context.Context, g *globals, args []string) error {
	fs := flag.NewFlagSet("tickets", flag.ContinueOnError)
	token := staffFlags(fs, g)
	hall := fs.String("hall", "", "only this hall's")
	day := fs.String("day", "", "YYYYMMDD: only this day's")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return withCode(exitUsage, "tickets takes no arguments (run 'hallctl help')")
	}
	if err := checkDay(*day); err != nil {
		return err
	}
	bo, done, err := g.staffClient(*token)
	if err != nil {
		return err
	}
	defer done()
	l, err := bo.InteractionList(ctx, client.InteractionFilter{Kind: wire.KindTicket, Hall: *hall, Day: *day})
	if err != nil {
		return staffErr(err, "list tickets")
	}
	list := l.Items
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.Hall != b.Hall {
			return a.Hall < b.Hall
		}
		if a.Ticket == nil || b.Ticket == nil {
			return b.Ticket == nil && a.Ticket != nil
		}
		if a.Ticket.Day != b.Ticket.Day {
			return a.Ticket.Day < b.Ticket.Day
		}
		return a.Ticket.Number < b.Ticket.Number
	})
	_ = g.out(ticketsOut{Tickets: list, Clashes: l.TicketClashes}, func(w io.Writer) {
		fmt.Fprintf(w, "%d tickets; %s\n", len(list), clashLine(l.TicketClashes))
		if len(list) == 0 {
			return
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "HALL\tDAY\tNUMBER\tCATEGORY\tKIOSK\tRECEIVED\tDEVICE")
		for _, in := range list {
			t := in.Ticket
			if t == nil {
				continue
			}
			dev := in.Device
			if len(dev) > 8 {
				dev = dev[:8]
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", dash(in.Hall), t.Day, t.Number, t.Category, t.Kiosk,
				in.ReceivedAt.Local().Format("2006-01-02 15:04"), dash(dev))
		}
		tw.Flush()
	})
	if l.TicketClashes > 0 {
		return withCode(exitUnhealthy, "%d ticket number clash(es): two kiosks seem to share a prefix; check the kiosk prefixes", l.TicketClashes)
	}
	return nil
}

func clashLine(n int) string {
	switch {
	case n < 0:
		return "clashes unknown (the server did not say)"
	case n == 0:
		return "no clashes"
	}
	return fmt.Sprintf("%d clashes: two kiosks seem to share a prefix; check the kiosk prefixes", n)
}
