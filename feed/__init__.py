"""The change feed of projects: incremental sync for partner systems (`/api/v1/sync/projects/`).

How it works, and why it is correct when transactions commit out of order:

1. **Recording.** Every write that changes what a caller sees of a project appends a `FeedChange`
   row in the same transaction (`feed.services.change_record`, called at the end of each project
   service, plus signals for what bypasses the services: external ids, project deletion, admin
   edits). The row says *which* project changed, never *what*: the feed serves the project's
   current state when it is read. The row also keeps its *audience*: whether the project was
   public, and which parties could see it, before or after the change (the "before" comes from
   `FeedScope`, the project's current audience, updated under a row lock by every change). That
   is what lets a party that just lost sight of a project get a `left_scope` tombstone, while a
   party that never saw it gets nothing.

2. **Positions are given to committed rows only.** A row is written with `position = NULL`.
   Ids and timestamps are taken before commit, so a transaction that started early can commit
   after rows with larger ids were served: paging by id or time would skip it for good. Instead,
   a reader first positions what is committed (`feed.services.positions_assign`): under the lock
   of the single `FeedState` row it gives every committed unpositioned row a position above every
   position given so far, in id order, and then reads only rows up to that head. A row still in
   flight is invisible to that UPDATE; when it commits, a later reader positions it above
   everything already served, so a cursor (the last position served) never passes over it, and
   no row ever gets a second position, so no change is served twice.
   The same code runs on SQLite, where writes are serialized anyway (one writer at a time).

3. **Pages.** A page is the caller's changes after the cursor's position, up to the head, in
   position order; several changes of one project in a page become one entry. An entry is the
   project's current representation (the projects API's list representation) or a tombstone:
   `deleted`, `withdrawn` (the feed treats a withdrawn project as gone, even for its lead party),
   or `left_scope`. Without a cursor, the feed first lists a snapshot of every project in the
   caller's scope (by id, taken over several pages), then continues with the changes after the
   head it captured at its start: changes made while the snapshot is paged are served again.

4. **Retention.** Change rows are pruned after `FEED_TOMBSTONE_RETENTION` (`feed.tasks.
   feed_prune_task`). A cursor from before the pruned positions, or issued longer ago than the
   retention, is answered 410 Gone: the partner starts again without a cursor.

Limits, by design: the audience is by party (and the public flag); a key whose account changes
party or role must resync in full. Reporting health that turns amber or red as days pass (no
write) is not a change; it is current whenever the project changes again.
"""
