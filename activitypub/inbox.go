package activitypub

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/herald-social/herald/storage"
)

// The inboxes (personal, shared and the instance actor's): read the body
// within the limit, verify the signature synchronously, check that the
// signer is the activity's actor, dedupe, persist, answer 202; a worker
// processes the queue (process.go).

func (f *Federation) handleInbox(c echo.Context) error {
	r := c.Request()
	ctx := r.Context()
	if name := c.Param("username"); name != "" {
		a, _, err := f.localAccount(ctx, name)
		if err != nil {
			return err
		}
		if a == nil {
			return apError(c, http.StatusNotFound, "Record not found")
		}
	}
	max := f.cfg.Limits.MaxInboxBytes
	if max <= 0 {
		max = 1 << 20
	}
	if r.ContentLength > max {
		return apError(c, http.StatusRequestEntityTooLarge, "Payload too large")
	}
	body, err := readLimited(r.Body, max)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.Is(err, errTooLarge) || errors.As(err, &mbe) {
			return apError(c, http.StatusRequestEntityTooLarge, "Payload too large")
		}
		return apError(c, http.StatusBadRequest, "Could not read the body")
	}
	act, decodeErr := Decode(body)

	signer, err := f.verifySignature(ctx, r, body)
	if err != nil {
		if isPolicyRefusal(err) {
			return policyRefusal(c, err)
		}
		// A deleted actor cannot be verified any more (its key is gone).
		// Mastodon accepts its self-Delete unverified when the actor is
		// unknown here: there is nothing to delete, and the sender stops.
		if act != nil && act.Type.Is("Delete") && act.Actor.ID != "" && act.Object.ID == act.Actor.ID {
			if _, err := f.svc.AccountByURI(ctx, act.Actor.ID); errors.Is(err, storage.ErrNotFound) {
				return c.NoContent(http.StatusAccepted)
			}
		}
		f.log.Debug("inbox: signature rejected", "err", err, "path", r.URL.Path)
		c.Response().Header().Set("Accept-Signature", acceptSignatureBody)
		return apError(c, http.StatusUnauthorized, "Verification failed")
	}
	if decodeErr != nil || len(act.Type) == 0 {
		return apError(c, http.StatusBadRequest, "Not an ActivityStreams activity")
	}
	actor := act.Actor.ID
	if actor != signer && !forwardable(act) {
		// Forwarded activities would need a linked-data signature or an
		// object proof, which Herald does not verify; but for an edit or
		// deletion of a post, the post's own server can be asked
		// (onForwarded).
		return apError(c, http.StatusUnauthorized, "The activity's actor is not the signer")
	}
	// The signer's domain verifySignature checked; the actor is the signer
	// but for a forward.
	if limited, err := f.inboxThrottled(c, hostOf(signer)); limited {
		return err
	}
	// The dedupe key: the activity id, scoped to the signer when the id is
	// not on the signer's host (so nobody can pre-empt another server's ids).
	activityID := string(act.ID)
	switch {
	case activityID == "":
		sum := sha256.Sum256(body)
		activityID = signer + " sha256:" + hex.EncodeToString(sum[:])
	case hostOf(activityID) != hostOf(signer):
		activityID = signer + " " + activityID
	}
	queued, err := f.queue.EnqueueInbox(ctx, storage.InboxItem{ActivityID: activityID, SignerURI: signer, Payload: body},
		hostOf(signer))
	if err != nil {
		return err
	}
	if queued {
		f.markAlive(hostOf(signer))
		f.wakeJobs(storage.JobInbox)
	}
	return c.NoContent(http.StatusAccepted)
}

// forwardable reports an activity accepted from a signer other than its
// actor: an Update or Delete of a post on the actor's host (as Mastodon
// forwards those to the followers of its accounts that boosted or quoted
// the post), which is checked against the post's server (onForwarded).
func forwardable(act *Object) bool {
	id := act.Object.ID
	return act.Type.Is("Update", "Delete") && id != "" && act.Actor.ID != "" && id != act.Actor.ID &&
		hostOf(id) == hostOf(act.Actor.ID)
}
