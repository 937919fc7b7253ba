/**
 * The private question to the shopping assistant: the viewer types, POST /sessions/:id/assistant
 * answers only them. Every answer carries the AI label inside its text (and on copy), the products
 * and fields it drew on, whether it went to the host, and a Report button (AI1, AI6).
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { currentLocale, t } from '../../i18n/index.ts';
import { askAssistant, type AssistantReply } from '../../ui/chat-api.ts';
import { AiText, AnswerSources } from '../../ui/chat-parts.tsx';
import { chatLength, excerpt } from '../../ui/chat-view.ts';
import { ProblemMessage } from '../../ui/components.tsx';
import type { ShowcaseProduct } from '../../ui/contract.ts';
import { storedDeviceId } from '../../ui/device.ts';
import type { ReportSubject } from './ReportDialog.tsx';

export const QUESTION_MAX = 300;

interface Exchange {
  key: number;
  question: string;
  reply: AssistantReply | null;
  error: unknown;
}

export function AssistantPanel(props: {
  sessionId: string;
  products: readonly ShowcaseProduct[];
  onReport: (subject: ReportSubject) => void;
  onClose: () => void;
}): JSX.Element {
  const [question, setQuestion] = useState('');
  const [exchanges, setExchanges] = useState<Exchange[]>([]);
  const [asking, setAsking] = useState(false);
  const nextKey = useRef(1);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const live = useRef(true);

  useEffect(() => {
    inputRef.current?.focus();
    live.current = true;
    return () => {
      live.current = false;
    };
  }, []);

  const ask = async (event: Event): Promise<void> => {
    event.preventDefault();
    const text = question.trim();
    if (text === '' || asking) return;
    const key = nextKey.current++;
    setExchanges((list) => [...list, { key, question: text, reply: null, error: null }]);
    setQuestion('');
    setAsking(true);
    const id = storedDeviceId();
    const settle = (patch: Partial<Exchange>): void => {
      if (live.current) setExchanges((list) => list.map((x) => (x.key === key ? { ...x, ...patch } : x)));
    };
    try {
      settle({ reply: await askAssistant(props.sessionId, { question: text, locale: currentLocale(), ...(id ? { deviceId: id } : {}) }) });
    } catch (failure) {
      settle({ error: failure });
    } finally {
      if (live.current) setAsking(false);
    }
  };

  return (
    <section class="assistant-panel" aria-labelledby="assistant-heading" data-testid="assistant-panel">
      <div class="assistant-head">
        <h3 id="assistant-heading">{t('live.assistant.title')}</h3>
        <button type="button" class="btn btn-icon btn-icon-small" aria-label={t('live.assistant.close')} data-testid="assistant-close" onClick={props.onClose}>
          ×
        </button>
      </div>
      <p class="assistant-intro">{t('live.assistant.intro')}</p>
      {exchanges.length > 0 && (
        <ol class="assistant-exchanges" aria-live="polite">
          {exchanges.map((exchange) => (
            <li key={exchange.key} class="assistant-exchange" data-testid="assistant-exchange">
              <p class="assistant-question">
                <span class="visually-hidden">{t('live.assistant.youAsked')} </span>
                {exchange.question}
              </p>
              {exchange.reply === null && exchange.error === null && (
                <p class="muted" role="status">
                  {t('live.assistant.asking')}
                </p>
              )}
              {exchange.error !== null && <ProblemMessage error={exchange.error} />}
              {exchange.reply && (
                <AssistantAnswer
                  reply={exchange.reply}
                  products={props.products}
                  onReport={() =>
                    props.onReport({ target: 'assistant_answer', messageId: exchange.reply!.id, summary: excerpt(exchange.reply!.answer), answerText: exchange.reply!.answer })
                  }
                />
              )}
            </li>
          ))}
        </ol>
      )}
      <form class="assistant-form" onSubmit={ask} noValidate>
        <label class="visually-hidden" for="assistant-input">
          {t('live.assistant.inputLabel')}
        </label>
        <textarea
          id="assistant-input"
          ref={inputRef}
          class="input"
          rows={2}
          maxLength={QUESTION_MAX}
          value={question}
          placeholder={t('live.assistant.placeholder')}
          data-testid="assistant-input"
          onInput={(e) => setQuestion(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) void ask(e);
          }}
        />
        <div class="assistant-form-row">
          <span class="field-hint">{t('live.chat.counter', { n: chatLength(question), max: QUESTION_MAX })}</span>
          <button type="submit" class="btn btn-primary btn-small" disabled={asking || question.trim() === ''} data-testid="assistant-ask">
            {asking ? t('live.assistant.asking') : t('live.assistant.ask')}
          </button>
        </div>
      </form>
    </section>
  );
}

function AssistantAnswer(props: { reply: AssistantReply; products: readonly ShowcaseProduct[]; onReport: () => void }): JSX.Element {
  const { reply } = props;
  return (
    <div class="assistant-answer" data-testid="assistant-reply" data-reply-id={reply.id} data-outcome={reply.outcome} data-handoff={String(reply.handoff)}>
      <AiText text={reply.answer} label={reply.label} testId="assistant-answer-text" />
      <AnswerSources sources={reply.sources} products={props.products} />
      {reply.handoff && (
        <p class="handoff-note" data-testid="handoff-note">
          {t('live.assistant.handoffPublic')}
        </p>
      )}
      <div class="answer-actions">
        <button type="button" class="btn btn-link btn-small report-button" data-testid="report-answer" aria-haspopup="dialog" aria-label={t('live.report.answerLabel')} onClick={props.onReport}>
          {t('live.report.button')}
        </button>
      </div>
    </div>
  );
}
