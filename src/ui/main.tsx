import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { indexedDbStore, persistStore } from '../store/persistence';
import { useAppStore } from '../store/store';
import { App } from './App';
import './styles.css';

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root element');
void persistStore(useAppStore, indexedDbStore(), { onError: (message) => useAppStore.getState().setNotice(message) });
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
