import type { ReactNode } from "react";

/**
 * The few Markdown forms our own docs use (headings, numbered and bulleted
 * items with continuation lines, paragraphs, `code`), rendered as React
 * elements: the text is never injected as HTML.
 */
export function MarkdownText({ source }: { source: string }) {
  const blocks: ReactNode[] = [];
  let para: string[] = [];
  let list: { ordered: boolean; items: string[] } | null = null;
  const flushPara = () => {
    if (para.length > 0)
      blocks.push(
        <p key={blocks.length} className="my-3 text-sm text-slate-700">
          {inline(para.join(" "))}
        </p>,
      );
    para = [];
  };
  const flushList = () => {
    if (!list) return;
    const items = list.items.map((t, i) => <li key={i}>{inline(t)}</li>);
    blocks.push(
      list.ordered ? (
        <ol key={blocks.length} className="my-3 list-decimal space-y-2 pl-6 text-sm text-slate-700">
          {items}
        </ol>
      ) : (
        <ul key={blocks.length} className="my-3 list-disc space-y-2 pl-6 text-sm text-slate-700">
          {items}
        </ul>
      ),
    );
    list = null;
  };
  for (const line of source.split(/\r?\n/)) {
    const heading = /^(#{1,3})\s+(.*)$/.exec(line);
    const item = /^\s*(\d+\.|-)\s+(.*)$/.exec(line);
    if (heading) {
      flushPara();
      flushList();
      const level = heading[1]!.length;
      const cls = level === 1 ? "mt-2 text-xl font-semibold" : "mt-6 text-lg font-semibold";
      blocks.push(
        level === 1 ? (
          <h2 key={blocks.length} className={cls}>
            {inline(heading[2]!)}
          </h2>
        ) : (
          <h3 key={blocks.length} className={cls}>
            {inline(heading[2]!)}
          </h3>
        ),
      );
    } else if (item) {
      flushPara();
      const ordered = item[1] !== "-";
      if (list && list.ordered !== ordered) flushList();
      list ??= { ordered, items: [] };
      list.items.push(item[2]!);
    } else if (line.trim() === "") {
      flushPara();
      flushList();
    } else if (list && /^\s+/.test(line)) {
      list.items[list.items.length - 1] += ` ${line.trim()}`;
    } else {
      flushList();
      para.push(line.trim());
    }
  }
  flushPara();
  flushList();
  return (
    <div className="max-w-3xl" data-testid="markdown">
      {blocks}
    </div>
  );
}

function inline(text: string): ReactNode[] {
  return text.split(/(`[^`]+`|\*\*[^*]+\*\*)/).map((part, i) =>
    part.startsWith("`") && part.endsWith("`") && part.length > 1 ? (
      <code key={i} className="rounded bg-slate-100 px-1 text-xs break-words">
        {part.slice(1, -1)}
      </code>
    ) : part.startsWith("**") && part.endsWith("**") ? (
      <strong key={i}>{part.slice(2, -2)}</strong>
    ) : (
      part
    ),
  );
}
