-- A local account's favourite of a remote post whose author must approve
-- likes (GoToSocial's canLike.manualApproval): sent, but waiting for the
-- author's Accept. Counted nowhere and not shown as favourited until then;
-- a Reject deletes it.
ALTER TABLE favourites ADD COLUMN pending_approval INTEGER NOT NULL DEFAULT 0;
