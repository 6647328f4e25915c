package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"civicdesk/app/catalog"
	"civicdesk/sync/client"
	"civicdesk/sync/wire"
)

// cmdNotice publishes or withdraws a notice of the hall (back office).
func cmdNotice(ctx context.Context, g *globals, args []string) error {
	if len(args) == 0 {
		return withCode(exitUsage, "notice needs publish or withdraw (run 'hallctl help')")
	}
	switch args[0] {
	case "publish":
		return noticePublish(ctx, g, args[1:])
	case "withdraw":
		return noticeWithdraw(ctx, g, args[1:])
	}
	return withCode(exitUsage, "notice needs publish or withdraw, not %q (run 'hallctl help')", clipArg(args[0]))
}

// clipArg shortens an argument before an error message repeats it.
func clipArg(s string) string { return oneLine(s, 20) }

func noticePublish(ctx context.Context, g *globals, args []string) error {
	fs := flag.NewFlagSet("notice publish", flag.ContinueOnError)
	token := staffFlags(fs, g)
	hall := fs.String("hall", "", "the hall's code (default: every hall)")
	kind := fs.String("kind", "", "hours, closure, policy or info")
	titleZh := fs.String("title-zh", "", "title in Chinese")
	titleEn := fs.String("title-en", "", "title in English")
	bodyZh := fs.String("body-zh", "", "text in Chinese")
	bodyEn := fs.String("body-en", "", "text in English")
	from := fs.String("from", "", "shown from (RFC 3339)")
	until := fs.String("until", "", "shown until (RFC 3339)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return withCode(exitUsage, "notice publish takes no arguments, only flags (run 'hallctl help')")
	}
	switch *kind {
	case wire.NoticeHours, wire.NoticeClosure, wire.NoticePolicy, wire.NoticeInfo:
	default:
		return withCode(exitUsage, "--kind must be hours, closure, policy or info")
	}
	if trimSpace(*titleZh) == "" || trimSpace(*titleEn) == "" {
		return withCode(exitUsage, "a notice needs its title in both languages: --title-zh and --title-en")
	}
	n := wire.Notice{Hall: *hall, Kind: *kind,
		Title: catalog.Text{catalog.LangZh: *titleZh, catalog.LangEn: *titleEn}}
	if *bodyZh != "" || *bodyEn != "" {
		n.Body = catalog.Text{}
		for lang, v := range map[string]string{catalog.LangZh: *bodyZh, catalog.LangEn: *bodyEn} {
			if v != "" {
				n.Body[lang] = v
			}
		}
	}
	for _, t := range []struct {
		flag, v string
		to      *time.Time
	}{{"--from", *from, &n.From}, {"--until", *until, &n.Until}} {
		if t.v == "" {
			continue
		}
		at, err := time.Parse(time.RFC3339, t.v)
		if err != nil {
			return withCode(exitUsage, "%s must be an RFC 3339 time, e.g. 2026-03-02T09:00:00+08:00", t.flag)
		}
		*t.to = at
	}
	if !n.From.IsZero() && !n.Until.IsZero() && !n.Until.After(n.From) {
		return withCode(exitUsage, "--until must be after --from")
	}
	bo, done, err := g.staffClient(*token)
	if err != nil {
		return err
	}
	defer done()
	out, err := bo.PublishNotice(ctx, n)
	if err != nil {
		return staffErr(err, "publish notice")
	}
	return g.out(out, func(w io.Writer) {
		where := "every hall"
		if out.Hall != "" {
			where = "hall " + out.Hall
		}
		fmt.Fprintf(w, "published notice %s (%s, %s); devices show it from their next sync\n", out.ID, out.Kind, where)
	})
}

func noticeWithdraw(ctx context.Context, g *globals, args []string) error {
	fs := flag.NewFlagSet("notice withdraw", flag.ContinueOnError)
	token := staffFlags(fs, g)
	id, err := parseWithID(fs, args, "notice withdraw takes one notice id", "give the id of the notice to withdraw (printed when it was published)")
	if err != nil {
		return err
	}
	bo, done, err := g.staffClient(*token)
	if err != nil {
		return err
	}
	defer done()
	if err := bo.WithdrawNotice(ctx, id); err != nil {
		if errors.Is(err, client.ErrNotFound) {
			return fmt.Errorf("no notice has this id (never published, or withdrawn already): check the id")
		}
		return staffErr(err, "withdraw notice")
	}
	return g.out(map[string]string{"withdrawn": id}, func(w io.Writer) {
		fmt.Fprintf(w, "withdrew notice %s\n", id)
	})
}
