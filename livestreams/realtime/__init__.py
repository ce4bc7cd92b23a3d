"""Real time (contract section 9): the Socket.IO server and what the rest of the code tells it.

- `events`: the write-only side. Services call its functions (`stream_status`,
  `viewer_count_changed`, `new_message`, ...) inside their transactions; each one is sent
  after the commit, through the shared message queue in Redis, so a REST request, an admin
  action, a worker or a command reaches the sockets of every server process (without Redis,
  the server of this process, if there is one).
- `server`: the `socketio.AsyncServer` that `config.asgi` serves at `/socket.io/`, its two
  namespaces (`/live-stream`, `/stream-chat`) and the ticker of each process.
- `actions`: what a socket asks for (connect, joinStream, leaveStream, sendMessage), done in
  the database with the REST rules, and refusals turned into acknowledgements.
- `coordination`: what the processes share in Redis (or one process keeps in memory): whose
  last socket left a stream, and whose `viewerCount` is due.
"""
