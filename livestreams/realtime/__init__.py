"""Real time (contract section 9): the Socket.IO server and what the rest of the code tells it.

- `events`: the write-only side. Services call its functions (`stream_status`,
  `viewer_count_changed`, `new_message`, ...) inside their transactions; each one is sent
  after the commit, through the shared message queue in Redis, so a REST request, an admin
  action, a worker or a command reaches the sockets of every server process.
"""
