/**
 * The 16:9 stream area: the session's HLS stream when it has one (native HLS where the browser
 * plays it, else hls.js loaded on demand), otherwise the poster with the session's status.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../i18n/index.ts';
import type { RoomSession } from '../../ui/contract.ts';

const DEFAULT_POSTER = '/img/poster.svg';
const HLS_MIME = 'application/vnd.apple.mpegurl';

export function Stream({ session }: { session: RoomSession }): JSX.Element {
  const videoRef = useRef<HTMLVideoElement>(null);
  const [failed, setFailed] = useState(false);
  const poster = session.posterUrl ?? DEFAULT_POSTER;
  const hlsUrl = session.hlsUrl;

  useEffect(() => {
    setFailed(false);
    const video = videoRef.current;
    if (!hlsUrl || !video) return undefined;
    if (video.canPlayType(HLS_MIME)) {
      video.src = hlsUrl;
      return () => {
        video.removeAttribute('src');
        video.load();
      };
    }
    let destroyed = false;
    let destroy: (() => void) | undefined;
    import('hls.js/light').then(
      ({ default: Hls }) => {
        if (destroyed) return;
        if (!Hls.isSupported()) {
          setFailed(true);
          return;
        }
        const hls = new Hls({ lowLatencyMode: true });
        hls.on(Hls.Events.ERROR, (_event, data) => {
          if (data.fatal) setFailed(true);
        });
        hls.loadSource(hlsUrl);
        hls.attachMedia(video);
        destroy = () => hls.destroy();
      },
      () => setFailed(true),
    );
    return () => {
      destroyed = true;
      destroy?.();
    };
  }, [hlsUrl]);

  const statusText =
    session.status === 'live' ? t('live.stream.live') : session.status === 'ended' ? t('live.stream.ended') : t('live.stream.scheduled');

  if (hlsUrl && !failed) {
    return (
      <div class="stream" data-testid="stream">
        <video
          ref={videoRef}
          poster={poster}
          controls
          autoplay
          muted
          playsInline
          aria-label={t('live.stream.videoLabel')}
          onError={() => setFailed(true)}
        />
      </div>
    );
  }
  return (
    <div class="stream" data-testid="stream">
      <img src={poster} alt={t('live.stream.posterAlt')} />
      <div class="stream-overlay">{failed ? t('live.stream.playbackFailed') : statusText}</div>
    </div>
  );
}
