package server

// mountMedia runs the media worker: background processing of video and
// audio, remote media and link preview fetches, file deletion and the
// daily pruning of the remote media cache.
func (s *Server) mountMedia() {
	s.AddWorker(s.Svc.RunMediaWorker)
}
